-- relay.lua - relay decisions from Postfix-style macros (v = Postfix,
-- verified-cert CNs, {daemon_name}/{daemon_port}, SASL) through the real
-- milter. Config: tests/milter/run.sh.
local t = dofile(os.getenv("RW_LUA_DIR") .. "/common.lua")
local PF = { "v", "Postfix 3.7.11", "j", "mx.example.test" }
local TLS = { "{tls_version}", "TLSv1.3", "{cipher}", "TLS_AES_256_GCM_SHA384" }

local function with(a, b)
	local r = {}
	for _, v in ipairs(a) do r[#r + 1] = v end
	for _, v in ipairs(b or {}) do r[#r + 1] = v end
	return r
end

local cases = {
	{ name = "office network relays", ip = "192.0.2.10", connect = PF,
	  sender = "<x@office.test>", rcpt = "<bob@remote.test>", want = SMFIR_CONTINUE },
	{ name = "stranger refused", ip = "198.51.100.7", connect = PF,
	  sender = "<x@stranger.test>", rcpt = "<bob@remote.test>", want = SMFIR_REPLYCODE },
	{ name = "stranger to our domain", ip = "198.51.100.7", connect = PF,
	  sender = "<x@stranger.test>", rcpt = "<carol@example.test>", want = SMFIR_CONTINUE },
	{ name = "percent hack refused", ip = "192.0.2.10", connect = PF,
	  sender = "<x@office.test>", rcpt = "<a%b@remote.test>", want = SMFIR_REPLYCODE },
	{ name = "sasl on submission over TLS", ip = "198.51.100.7",
	  connect = with(PF, { "{daemon_name}", "submission", "{daemon_port}", "587" }),
	  helo = TLS, mail = { "{auth_authen}", "alice@example.test", "{auth_type}", "PLAIN" },
	  sender = "<alice@example.test>", rcpt = "<bob@remote.test>", want = SMFIR_CONTINUE },
	{ name = "sasl on the wrong listener", ip = "198.51.100.7",
	  connect = with(PF, { "{daemon_name}", "smtpd", "{daemon_port}", "25" }),
	  helo = TLS, mail = { "{auth_authen}", "alice@example.test" },
	  sender = "<alice@example.test>", rcpt = "<bob@remote.test>", want = SMFIR_REPLYCODE },
	{ name = "sasl without TLS", ip = "198.51.100.7",
	  connect = with(PF, { "{daemon_name}", "submission", "{daemon_port}", "587" }),
	  mail = { "{auth_authen}", "alice@example.test" },
	  sender = "<alice@example.test>", rcpt = "<bob@remote.test>", want = SMFIR_REPLYCODE },
	{ name = "sasl with a sender it does not own", ip = "198.51.100.7",
	  connect = with(PF, { "{daemon_name}", "submission", "{daemon_port}", "587" }),
	  helo = TLS, mail = { "{auth_authen}", "alice@example.test" },
	  sender = "<ceo@example.test>", rcpt = "<bob@remote.test>", want = SMFIR_REPLYCODE },
	{ name = "postfix verified CN pair", ip = "198.51.100.7", connect = PF,
	  helo = with(TLS, { "{cert_subject}", "mx.partner.test", "{cert_issuer}",
			     "Partner Test CA" }),
	  sender = "<x@partner.test>", rcpt = "<bob@remote.test>", want = SMFIR_CONTINUE },
	{ name = "postfix other verified CN refused", ip = "198.51.100.7", connect = PF,
	  helo = with(TLS, { "{cert_subject}", "mx.other.test", "{cert_issuer}",
			     "Partner Test CA" }),
	  sender = "<x@other.test>", rcpt = "<bob@remote.test>", want = SMFIR_REPLYCODE },
	{ name = "CN from an MTA that vouches nothing refused", ip = "198.51.100.7",
	  helo = with(TLS, { "{cert_subject}", "mx.partner.test", "{cert_issuer}",
			     "Partner Test CA" }),
	  sender = "<x@partner.test>", rcpt = "<bob@remote.test>", want = SMFIR_REPLYCODE },
}

for _, c in ipairs(cases) do
	t.relay_case(c)
end

-- two recipients in one message: one relayed, one refused, the next still decided
local conn = t.open("198.51.100.7", PF)
t.mail(conn, "<x@stranger.test>")
t.expect("multi: local recipient", t.rcpt(conn, "<carol@example.test>"), SMFIR_CONTINUE)
t.expect("multi: remote recipient", t.rcpt(conn, "<bob@remote.test>"), SMFIR_REPLYCODE)
t.expect("multi: local again", t.rcpt(conn, "<dave@example.test>"), SMFIR_CONTINUE)
mt.disconnect(conn)
