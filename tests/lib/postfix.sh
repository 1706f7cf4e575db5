# shellcheck shell=sh
# postfix.sh - sourced by the scripts that run a throwaway Postfix instance
# (tests/e2e/stack.sh, tests/bench/milter_bench.sh).
#
#   rw_postfix_services   the master.cf lines of Postfix's own services,
#                         none chrooted (test instances run from their own
#                         config and queue directories); callers add their
#                         listeners before and their transports after
#   rw_postfix_main_base  the main.cf lines every test instance shares

# rw_postfix_services - print the standard services, tab-indented for a
# <<- here-document
rw_postfix_services() {
	cat <<-'EOF2'
		pickup    unix  n - n 60 1 pickup
		cleanup   unix  n - n - 0 cleanup
		qmgr      unix  n - n 300 1 qmgr
		tlsmgr    unix  - - n 1000? 1 tlsmgr
		rewrite   unix  - - n - - trivial-rewrite
		bounce    unix  - - n - 0 bounce
		defer     unix  - - n - 0 bounce
		trace     unix  - - n - 0 bounce
		verify    unix  - - n - 1 verify
		flush     unix  n - n 1000? 0 flush
		proxymap  unix  - - n - - proxymap
		proxywrite unix - - n - 1 proxymap
		smtp      unix  - - n - - smtp
		relay     unix  - - n - - smtp
		showq     unix  n - n - - showq
		error     unix  - - n - - error
		retry     unix  - - n - - error
		discard   unix  - - n - - discard
		local     unix  - n n - - local
		anvil     unix  - - n - 1 anvil
		scache    unix  - - n - 1 scache
		postlog   unix-dgram n - n - 1 postlogd
	EOF2
}

# rw_postfix_main_base DIR QUEUE_DIR SYSLOG_NAME [LOG_DIR] - the main.cf
# lines every throwaway instance shares: its own queue and data (DIR/data)
# directories, logging to LOG_DIR/maillog (default DIR/log) through
# postlogd, loopback only, no DNS, no aliases, no local recipient check;
# callers add names, restrictions, transports
rw_postfix_main_base() {
	cat <<EOF2
compatibility_level = 3.6
queue_directory = $2
data_directory = $1/data
mail_owner = postfix
setgid_group = postdrop
maillog_file = ${4:-$1/log}/maillog
maillog_file_prefixes = ${4:-$1/log}
syslog_name = $3
relay_domains =
mynetworks = 127.0.0.1/32
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
smtp_dns_support_level = disabled
smtpd_peername_lookup = no
alias_maps =
alias_database =
local_recipient_maps =
biff = no
EOF2
}
