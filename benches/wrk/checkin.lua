-- Every request checks in one of the codes in the file args[1], with a nonce of its own: the
-- first pass over the codes records arrivals, later ones are second scans (as at a busy desk).
dofile("benches/wrk/report.lua")
local codes, counter, label = {}, 0, ""

function init(args)
  for line in io.lines(args[1]) do
    table.insert(codes, line)
  end
  label = args[2]
  wrapped = 0
  -- Added to the -H headers (the desk's token): a table given to wrk.format would replace them.
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  counter = counter + 1
  local code = codes[((tid * 7919 + counter) % #codes) + 1]
  local body = string.format('{"code":"%s","nonce":"%s-%d-%d"}', code, label, tid, counter)
  return wrk.format("POST", "/api/v1/desk/check-ins", nil, body)
end
