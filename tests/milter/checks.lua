-- checks.lua - the end-of-message message checks (DKIM, SPF, alignment,
-- Authentication-Results) through the real milter, with unbound on
-- loopback serving the DKIM keys, SPF and DMARC records (run.sh, phase
-- "checks"). RW_PHASE=enforce or shadow (the checks section's modes);
-- RW_VDIR: the DKIM conformance vectors.
local t = dofile(os.getenv("RW_LUA_DIR") .. "/common.lua")
local phase = os.getenv("RW_PHASE") or "enforce"
local vdir = os.getenv("RW_VDIR")
local PF = { "v", "Postfix 3.7.11", "j", "mx.example.test" }
local AR = "Authentication-Results"

-- read_eml - the headers (name, raw value with its leading space, folds as
-- "\n") and the body (CRLF) of a vector file
local function read_eml(name)
	local f = assert(io.open(vdir .. "/" .. name, "rb"))
	local text = f:read("*a")
	f:close()
	local head, body = text:match("^(.-)\n\n(.*)$")
	local hdrs = {}
	for line in (head .. "\n"):gmatch("(.-)\n") do
		if line:match("^[ \t]") then
			hdrs[#hdrs].value = hdrs[#hdrs].value .. "\n" .. line
		else
			local n, v = line:match("^([^:]+):(.*)$")
			hdrs[#hdrs + 1] = { name = n, value = v }
		end
	end
	return hdrs, (body:gsub("\r?\n", "\r\n"))
end

-- message - one message: client ip, sender, recipient, the vector, extra
-- header fields first; returns the connection after EOM and the reply
local function message(ip, sender, rcpt, eml, extra)
	local conn = t.open(ip, PF)
	t.mail(conn, sender, { "i", "QCHK" })
	t.expect("recipient " .. rcpt .. " accepted", t.rcpt(conn, rcpt), SMFIR_CONTINUE)
	local hdrs, body = read_eml(eml)
	for _, h in ipairs(extra or {}) do
		t.ok(mt.header(conn, h[1], h[2]), "header")
	end
	-- mt.header takes the value without the space after the colon and,
	-- like an MTA, sends that space itself when SMFIP_HDR_LEADSPC was agreed
	t.check(mt.test_option(conn, SMFIP_HDR_LEADSPC), "SMFIP_HDR_LEADSPC not negotiated")
	for _, h in ipairs(hdrs) do
		local v = h.value:gsub("^ ", "", 1)
		t.ok(mt.header(conn, h.name, v), "header " .. h.name)
	end
	t.ok(mt.eoh(conn), "eoh")
	t.ok(mt.bodystring(conn, body), "body")
	t.ok(mt.eom(conn), "eom")
	return conn, mt.getreply(conn)
end

local accepted = { [SMFIR_CONTINUE] = true, [SMFIR_ACCEPT] = true }

-- relayed from the office network (egress SPF for 192.0.2.25), signed and
-- aligned: accepted, our Authentication-Results inserted, a forged one in
-- our name removed
local conn, r = message("192.0.2.10", "<joe@football.example.com>", "<bob@remote.test>",
			"rfc8463/a3-signed.eml",
			{ { AR, "mx.example.test; dkim=pass header.d=bank.example" } })
t.check(accepted[r], phase .. ": aligned signed relay: reply " .. tostring(r))
t.check(mt.eom_check(conn, MT_HDRINSERT, AR), phase .. ": no Authentication-Results inserted")
t.check(mt.eom_check(conn, MT_HDRDELETE, AR) or mt.eom_check(conn, MT_HDRCHANGE, AR),
	phase .. ": forged Authentication-Results not removed")
mt.echo("ok - " .. phase .. ": aligned signed relay, A-R inserted, forged A-R removed")
mt.disconnect(conn)

-- a second From above the signed one
conn, r = message("192.0.2.10", "<joe@football.example.com>", "<bob@remote.test>",
		  "derived/a2-from-prepended.eml")
if phase == "enforce" then
	t.expect("enforce: forged From refused", r, SMFIR_REPLYCODE)
else
	t.check(accepted[r], "shadow: forged From: reply " .. tostring(r))
	t.check(mt.eom_check(conn, MT_HDRINSERT, AR), "shadow: no Authentication-Results")
	mt.echo("ok - shadow: forged From accepted")
end
mt.disconnect(conn)

-- mail arriving for our domain: SPF for the connecting client
conn, r = message("198.51.100.7", "<joe@football.example.com>", "<suzie@example.test>",
		  "rfc8463/a3-signed.eml")
t.check(accepted[r], phase .. ": inbound from a permitted client: reply " .. tostring(r))
mt.echo("ok - " .. phase .. ": inbound from a client the SPF record permits")
mt.disconnect(conn)
conn, r = message("203.0.113.9", "<joe@football.example.com>", "<suzie@example.test>",
		  "rfc8463/a3-signed.eml")
if phase == "enforce" then
	t.expect("enforce: inbound from a client SPF refuses", r, SMFIR_REPLYCODE)
else
	t.check(accepted[r], "shadow: inbound SPF fail: reply " .. tostring(r))
	mt.echo("ok - shadow: inbound SPF fail accepted")
end
mt.disconnect(conn)
