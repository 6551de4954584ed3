-- wrk script: count answers that are not 2xx, and print the run's figures as one JSON line.
--
-- With arguments (wrk ... -- FILE START LENGTH THREADS), each request is the next line of FILE
-- ("METHOD<TAB>PATH<TAB>BODY"), lines START .. START+LENGTH-1 (0-based) taken in turn by the
-- THREADS threads, so that requests differ from each other; otherwise every request is the
-- URL's.

local threads = {}

function setup(thread)
   thread:set("thread_number", #threads)
   table.insert(threads, thread)
end

function init(args)
   non2xx = 0
   sent = 0
   if args[1] == nil then
      request = nil  -- one fixed request: wrk builds it once (a static request)
      return
   end
   local all = {}
   for line in io.lines(args[1]) do
      local method, path, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
      table.insert(all, {method, path, body})
   end
   local start, length = tonumber(args[2] or "0"), tonumber(args[3] or tostring(#all))
   thread_count = tonumber(args[4] or "1")
   lines = {}
   for index = start, start + length - 1 do
      table.insert(lines, all[index % #all + 1])
   end
   json_headers = {}
   for name, value in pairs(wrk.headers) do
      json_headers[name] = value
   end
   json_headers["Content-Type"] = "application/json"
end

function request()
   -- Thread t of n takes lines t, t+n, t+2n...: no two requests the same until all are used.
   local line = lines[(sent * thread_count + thread_number) % #lines + 1]
   sent = sent + 1
   if line[3] ~= "" then
      return wrk.format(line[1], line[2], json_headers, line[3])
   end
   return wrk.format(line[1], line[2])
end

function response(status, headers, body)
   if status < 200 or status > 299 then
      non2xx = non2xx + 1
   end
end

function done(summary, latency, requests)
   local non2xx_total = 0
   for _, thread in ipairs(threads) do
      non2xx_total = non2xx_total + thread:get("non2xx")
   end
   local errors = summary.errors
   io.write(string.format(
      'WRK_JSON {"requests": %d, "duration_us": %d, "non2xx": %d, "connect": %d, ' ..
      '"read": %d, "write": %d, "timeout": %d, "p50_us": %d, "p90_us": %d, ' ..
      '"p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
      summary.requests, summary.duration, non2xx_total, errors.connect, errors.read,
      errors.write, errors.timeout, latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency.max, latency.mean))
end
