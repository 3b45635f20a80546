-- wrk script for bench/http.sh: requests one certificate route (ROUTE) with a
-- key picked at random per request from KEYS (one URL-encoded value a line),
-- and counts answers whose envelope is not a success.
local route = os.getenv("ROUTE")
local keys = {}
for line in io.lines(os.getenv("KEYS")) do
  keys[#keys + 1] = line
end
local form = { ["Content-Type"] = "application/x-www-form-urlencoded" }

local builders = {
  ["jumei-detail"] = function(k)
    return wrk.format("POST", "/enterprise/certificate/detail", form, "id=" .. k)
  end,
  ["jumei-list"] = function(k)
    return wrk.format("POST", "/enterprise/certificate/list", form, "keyword=" .. k .. "&pageSize=10")
  end,
  ["jumei-list-code"] = function(k)
    return wrk.format("POST", "/enterprise/certificate/list", form, "keyword=" .. k .. "&pageSize=10")
  end,
  ["qcc-detail"] = function(k)
    return wrk.format("GET", "/api/yj/ECICertification/GetCertificationDetailById?key=bench&certId=" .. k)
  end,
  ["qcc-search"] = function(k)
    return wrk.format("GET", "/api/yj/ECICertification/SearchCertification?key=bench&searchKey=" .. k)
  end,
}
local build = builders[route]
if build == nil then
  error("unknown ROUTE " .. tostring(route))
end

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "envelope.lua")

function request()
  return build(keys[math.random(#keys)])
end
