-- wrk script: send, in turn, the requests listed in a data file that bench/harness.py writes.
--
--   wrk -s bench/wrk/requests.lua URL -- DATAFILE THREADS [RUN]
--
-- DATAFILE is Lua returning a list of requests, any method, headers and body:
--   return { {method = "POST", path = "/api/v1/auth/login",
--             headers = {["Content-Type"] = "application/json"}, body = "{...}"}, ... }
-- so one script covers JSON POSTs, Authorization headers and whatever a later scenario needs.
-- A request marked `unique = true` has every "{unique}" in its path and body replaced, each
-- time it is sent, by a token no other request of any run carries (RUN, the thread, a count):
-- what a cache must miss, or a text a spam rule must not find twice.

local next_index = 0

-- Runs in wrk's main Lua state, once per thread before its init: number the threads.
function setup(thread)
  thread:set("thread_index", next_index)
  next_index = next_index + 1
end

function init(args)
  local specs = dofile(args[1])
  local threads = tonumber(args[2]) or 1
  -- Formatted once here, so the hot path below only picks a ready string; a unique request
  -- stays a spec, formatted as it is sent.
  requests = {}
  for i, spec in ipairs(specs) do
    if spec.unique then
      requests[i] = spec
    else
      requests[i] = wrk.format(spec.method, spec.path, spec.headers, spec.body)
    end
  end
  -- Each thread starts at its own part of the list, so threads do not send the same account in step.
  position = math.floor(#requests * thread_index / threads)
  token_prefix = (args[3] or "run") .. "-" .. thread_index .. "-"
  sent = 0
end

function request()
  position = position % #requests + 1
  local r = requests[position]
  if type(r) == "string" then
    return r
  end
  sent = sent + 1
  local token = token_prefix .. sent
  local body = r.body and r.body:gsub("{unique}", token) or nil
  return wrk.format(r.method, r.path:gsub("{unique}", token), r.headers, body)
end
