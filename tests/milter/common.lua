-- common.lua - helpers of the relaywarden-milter miltertest scripts.
-- The socket comes from RW_MILTER_SOCK (tests/milter/run.sh sets it).
local M = {}

M.sock = os.getenv("RW_MILTER_SOCK")
if M.sock == nil then
	error("RW_MILTER_SOCK is not set: run through tests/milter/run.sh")
end

-- check - fail the script with msg unless cond
function M.check(cond, msg)
	if not cond then
		error(msg, 2)
	end
end

-- ok - a miltertest call returned nil (success)
function M.ok(r, what)
	if r ~= nil then
		error(what .. ": " .. tostring(r), 2)
	end
end

-- open - connect, send connect/helo macros (lists of name, value) and the
-- connection details; returns the connection
function M.open(ip, conn_macros, helo_macros)
	local conn = mt.connect(M.sock, 40, 0.05)
	M.check(conn ~= nil, "cannot connect to " .. M.sock)
	if conn_macros ~= nil and #conn_macros > 0 then
		M.ok(mt.macro(conn, SMFIC_CONNECT, table.unpack(conn_macros)), "connect macros")
	end
	M.ok(mt.conninfo(conn, "client.test", ip), "conninfo")
	if helo_macros ~= nil and #helo_macros > 0 then
		M.ok(mt.macro(conn, SMFIC_HELO, table.unpack(helo_macros)), "helo macros")
	end
	M.ok(mt.helo(conn, "client.test"), "helo")
	return conn
end

-- mail - MAIL FROM with MAIL-stage macros (queue id, SASL)
function M.mail(conn, sender, mail_macros)
	if mail_macros ~= nil and #mail_macros > 0 then
		M.ok(mt.macro(conn, SMFIC_MAIL, table.unpack(mail_macros)), "mail macros")
	end
	M.ok(mt.mailfrom(conn, sender), "mailfrom")
end

-- rcpt - RCPT TO; the milter's reply (SMFIR_*)
function M.rcpt(conn, rcpt)
	M.ok(mt.rcptto(conn, rcpt), "rcptto")
	return mt.getreply(conn)
end

-- expect - the reply r is want, else fail naming the case
function M.expect(name, r, want)
	if r ~= want then
		error(string.format("%s: reply %s, want %s", name, tostring(r), tostring(want)), 2)
	end
	mt.echo("ok - " .. name)
end

-- relay_case - one connection, one message, one recipient; the RCPT reply
function M.relay_case(c)
	local conn = M.open(c.ip, c.connect, c.helo)
	M.mail(conn, c.sender, c.mail)
	local r = M.rcpt(conn, c.rcpt)
	mt.disconnect(conn)
	M.expect(c.name, r, c.want)
end

return M
