-- wrk script for bench/gateway.sh: a certificate detail route (ROUTE: jumei
-- or qcc) with a certificate id picked at random per request, authenticated
-- as MODE says:
--   off      no credentials (gateway.sh sends the mode's own requests to the
--            server without the gateway too, so that only the gateway differs)
--   appcode  X-Apig-AppCode: $APPCODE
--   apig     pre-signed SDK-HMAC-SHA256 requests: KEYS lines "id date authorization"
--   qcc      the 企查查 detail route with key=$APPKEY, Timespan $TS and Token $TOKEN
-- Counts answers whose envelope is not a success.
local mode = os.getenv("MODE")
local rows = {}
for line in io.lines(os.getenv("KEYS")) do
  local id, date, auth = line:match("^(%S+)%s*(%S*)%s*(.*)$")
  rows[#rows + 1] = { id = id, date = date, auth = auth }
end

local function form(extra)
  local h = { ["Content-Type"] = "application/x-www-form-urlencoded" }
  for k, v in pairs(extra or {}) do h[k] = v end
  return h
end

local builders = {
  off = function(r)
    if os.getenv("ROUTE") == "qcc" then
      return wrk.format("GET", "/api/yj/ECICertification/GetCertificationDetailById?key=bench&certId=" .. r.id)
    end
    return wrk.format("POST", "/enterprise/certificate/detail", form(), "id=" .. r.id)
  end,
  appcode = function(r)
    return wrk.format("POST", "/enterprise/certificate/detail", form({ ["X-Apig-AppCode"] = os.getenv("APPCODE") }), "id=" .. r.id)
  end,
  apig = function(r)
    return wrk.format("POST", "/enterprise/certificate/detail", form({ ["X-Sdk-Date"] = r.date, ["Authorization"] = r.auth }), "id=" .. r.id)
  end,
  qcc = function(r)
    return wrk.format("GET", "/api/yj/ECICertification/GetCertificationDetailById?key=" .. os.getenv("APPKEY") .. "&certId=" .. r.id,
      { ["Timespan"] = os.getenv("TS"), ["Token"] = os.getenv("TOKEN") })
  end,
}
local build = builders[mode]
if build == nil then
  error("unknown MODE " .. tostring(mode))
end

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "envelope.lua")

function request()
  return build(rows[math.random(#rows)])
end
