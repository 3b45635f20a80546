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

local threads = {}
function setup(thread)
  thread:set("id", #threads + 1)
  threads[#threads + 1] = thread
end

function init(args)
  bad = 0
  math.randomseed(id * 7919)
end

function request()
  return build(keys[math.random(#keys)])
end

function response(status, headers, body)
  if not (string.find(body, '"code":200,', 1, true) or string.find(body, '"Status":"200"', 1, true)) then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local n = 0
  for _, t in ipairs(threads) do
    n = n + t:get("bad")
  end
  io.write(string.format("envelope errors: %d of %d\n", n, summary.requests))
end
