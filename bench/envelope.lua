-- Shared by the wrk scripts under bench/ (loaded with dofile): seeds each
-- thread's random picks, counts answers whose envelope is not a success
-- (聚美 code 200 or 企查查 Status "200"), and prints the total when wrk is
-- done. The including script defines request().
local threads = {}
function setup(thread)
  thread:set("id", #threads + 1)
  threads[#threads + 1] = thread
end

function init(args)
  bad = 0
  math.randomseed(id * 7919)
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
