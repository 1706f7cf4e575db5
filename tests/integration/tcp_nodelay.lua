-- tcp_nodelay.lua - one message through the milter over TCP (so it has
-- accepted a connection, peeked and charged in Redis, and replied to end
-- of message; no header or body: the milter without checks asks for
-- none), then the connection is held open until tcp_nodelay.py has
-- inspected the milter's sockets: it creates RW_HOLD_DONE (bounded wait).
local sock, ready, done = os.getenv("RW_MILTER_SOCK"), os.getenv("RW_HOLD_READY"),
	os.getenv("RW_HOLD_DONE")
local conn = mt.connect(sock, 40, 0.05)
assert(conn ~= nil, "cannot connect to " .. sock)
assert(mt.conninfo(conn, "client.test", "192.0.2.10") == nil, "conninfo")
assert(mt.helo(conn, "client.test") == nil, "helo")
assert(mt.macro(conn, SMFIC_MAIL, "i", "4AB1C2D3E") == nil, "mail macros")
assert(mt.mailfrom(conn, "<x@office.test>") == nil, "mailfrom")
assert(mt.rcptto(conn, "<bob@remote.test>") == nil, "rcptto")
assert(mt.getreply(conn) == SMFIR_CONTINUE, "the office relays")
assert(mt.eom(conn) == nil, "eom")
assert(mt.getreply(conn) == SMFIR_CONTINUE, "end of message accepted")
local f = assert(io.open(ready, "w"))
f:close()
for _ = 1, 2400 do
	local d = io.open(done, "r")
	if d ~= nil then
		d:close()
		break
	end
	mt.sleep(0.05)
end
mt.disconnect(conn)
