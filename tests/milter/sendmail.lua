-- sendmail.lua - the same decisions from Sendmail-style macros: full DNs
-- (xtext), {verify}, {cert_md5}, {daemon_name} MSA. Config: run.sh.
local t = dofile(os.getenv("RW_LUA_DIR") .. "/common.lua")
local SM = { "j", "mx.example.test", "{daemon_name}", "MTA", "v", "8.17.1" }
local DN = "/C=DE/O=Partner+20GmbH/CN=mx.partner.test"
local CA = "/C=DE/O=Partner+20GmbH/CN=Partner+20CA"
local MD5 = "0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9"

local function tls(extra)
	local r = { "{tls_version}", "TLSv1.3", "{cipher}", "TLS_AES_256_GCM_SHA384" }
	for _, v in ipairs(extra) do r[#r + 1] = v end
	return r
end

local cases = {
	{ name = "sendmail: verified DN pair", ip = "198.51.100.7", connect = SM,
	  helo = tls({ "{verify}", "OK", "{cert_subject}", DN, "{cert_issuer}", CA }),
	  sender = "<x@partner.test>", rcpt = "<bob@remote.test>", want = SMFIR_CONTINUE },
	{ name = "sendmail: DN pair, verify FAIL", ip = "198.51.100.7", connect = SM,
	  helo = tls({ "{verify}", "FAIL", "{cert_subject}", DN, "{cert_issuer}", CA }),
	  sender = "<x@partner.test>", rcpt = "<bob@remote.test>", want = SMFIR_REPLYCODE },
	{ name = "sendmail: DN pair, no {verify}", ip = "198.51.100.7", connect = SM,
	  helo = tls({ "{cert_subject}", DN, "{cert_issuer}", CA }),
	  sender = "<x@partner.test>", rcpt = "<bob@remote.test>", want = SMFIR_REPLYCODE },
	{ name = "sendmail: verified CN pair of the CN rule", ip = "198.51.100.7", connect = SM,
	  helo = tls({ "{verify}", "OK", "{cert_subject}", "mx.partner.test",
		       "{cert_issuer}", "Partner+20Test+20CA" }),
	  sender = "<x@partner.test>", rcpt = "<bob@remote.test>", want = SMFIR_CONTINUE },
	{ name = "sendmail: pinned {cert_md5}, unverified", ip = "198.51.100.7", connect = SM,
	  helo = tls({ "{verify}", "FAIL", "{cert_md5}", MD5 }),
	  sender = "<x@partner.test>", rcpt = "<bob@remote.test>", want = SMFIR_CONTINUE },
	{ name = "sendmail: other {cert_md5}", ip = "198.51.100.7", connect = SM,
	  helo = tls({ "{verify}", "OK", "{cert_md5}", "0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:00",
		       "{cert_subject}", "/CN=mx.other.test", "{cert_issuer}", CA }),
	  sender = "<x@other.test>", rcpt = "<bob@remote.test>", want = SMFIR_REPLYCODE },
	{ name = "sendmail: sasl", ip = "198.51.100.7",
	  connect = { "{daemon_name}", "submission", "{daemon_port}", "587", "v", "8.17.1" },
	  helo = tls({}), mail = { "{auth_authen}", "alice@example.test", "{auth_type}", "LOGIN" },
	  sender = "<alice@example.test>", rcpt = "<bob@remote.test>", want = SMFIR_CONTINUE },
	{ name = "sendmail: office network", ip = "192.0.2.20", connect = SM,
	  sender = "<x@office.test>", rcpt = "<bob@remote.test>", want = SMFIR_CONTINUE },
	{ name = "sendmail: stranger", ip = "203.0.113.9", connect = SM,
	  sender = "<x@stranger.test>", rcpt = "<bob@remote.test>", want = SMFIR_REPLYCODE },
}

for _, c in ipairs(cases) do
	t.relay_case(c)
end
