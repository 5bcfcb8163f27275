-- wrk script: send, in turn, the requests listed in a data file that bench/harness.py writes.
--
--   wrk -s bench/wrk/requests.lua URL -- DATAFILE THREADS
--
-- DATAFILE is Lua returning a list of requests, any method, headers and body:
--   return { {method = "POST", path = "/api/v1/auth/login",
--             headers = {["Content-Type"] = "application/json"}, body = "{...}"}, ... }
-- so one script covers JSON POSTs, Authorization headers and whatever a later scenario needs.

local next_index = 0

-- Runs in wrk's main Lua state, once per thread before its init: number the threads.
function setup(thread)
  thread:set("thread_index", next_index)
  next_index = next_index + 1
end

function init(args)
  local specs = dofile(args[1])
  local threads = tonumber(args[2]) or 1
  -- Formatted once here, so the hot path below only picks a ready string.
  requests = {}
  for i, spec in ipairs(specs) do
    requests[i] = wrk.format(spec.method, spec.path, spec.headers, spec.body)
  end
  -- Each thread starts at its own part of the list, so threads do not send the same account in step.
  position = math.floor(#requests * thread_index / threads)
end

function request()
  position = position % #requests + 1
  return requests[position]
end
