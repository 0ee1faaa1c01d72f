-- wrk script for tests/bench/bench_ingest.py: replays pre-signed webhook requests.
-- Each line of the data file: path TAB header=value|header=value TAB body.
-- Thread i sends lines i, i+n, i+2n... so no two threads send the same message.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  nthreads = tonumber(args[2])
  requests = {}
  local i = 0
  for line in io.lines(args[1]) do
    if i % nthreads == id then
      local path, headers, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
      local h = {}
      for k, v in headers:gmatch("([^=|]+)=([^|]*)") do h[k] = v end
      table.insert(requests, wrk.format("POST", path, h, body))
    end
    i = i + 1
  end
  next_request = 1
end

function request()
  local r = requests[next_request]
  next_request = next_request % #requests + 1
  return r
end
