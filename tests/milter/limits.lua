-- limits.lua - limits and quotas through the real milter and a private
-- redis-server (run.sh): peeked at RCPT, charged once per message at EOM
-- with the accepted recipients and the counted size. RW_PHASE=up: Redis
-- answers; RW_PHASE=down: Redis is gone and the limit's fail mode applies.
local t = dofile(os.getenv("RW_LUA_DIR") .. "/common.lua")
local phase = os.getenv("RW_PHASE") or "up"
local PF = { "v", "Postfix 3.7.11" }

-- one message from ip with rcpts (a list) and a body of n bytes; the EOM reply
local function message(conn, rcpts, n)
	t.mail(conn, "<sender@office.test>", { "i", "QID" .. tostring(n) })
	for _, r in ipairs(rcpts) do
		t.expect("accepted " .. r, t.rcpt(conn, r), SMFIR_CONTINUE)
	end
	t.ok(mt.header(conn, "From", "sender@office.test"), "header")
	t.ok(mt.header(conn, "Subject", "limits"), "header")
	t.ok(mt.eoh(conn), "eoh")
	t.ok(mt.bodystring(conn, string.rep("x", n)), "body")
	t.ok(mt.eom(conn), "eom")
	return mt.getreply(conn)
end

if phase == "up" then
	local conn = t.open("192.0.2.10", PF)
	t.expect("message 1 charged", message(conn, { "<a@remote.test>", "<b@remote.test>" }, 100),
		 SMFIR_CONTINUE)
	t.expect("message 2 charged", message(conn, { "<c@remote.test>", "<d@remote.test>" }, 200),
		 SMFIR_CONTINUE)
	t.mail(conn, "<sender@office.test>")
	t.expect("message 3 over the rate at RCPT", t.rcpt(conn, "<e@remote.test>"),
		 SMFIR_REPLYCODE)
	mt.disconnect(conn)
	-- a refused recipient costs nothing: a stranger is refused by the relay check
	conn = t.open("198.51.100.7", PF)
	t.mail(conn, "<x@stranger.test>")
	t.expect("stranger refused", t.rcpt(conn, "<bob@remote.test>"), SMFIR_REPLYCODE)
	mt.disconnect(conn)
else
	local conn = t.open("192.0.2.11", PF)
	t.mail(conn, "<sender@office.test>")
	t.expect("store down: tempfail at RCPT", t.rcpt(conn, "<a@remote.test>"),
		 SMFIR_REPLYCODE)
	mt.disconnect(conn)
	conn = t.open("198.51.100.7", PF)
	t.mail(conn, "<x@example.test>")
	t.expect("store down: mail to our domain not limited", t.rcpt(conn, "<c@example.test>"),
		 SMFIR_CONTINUE)
	mt.disconnect(conn)
end
