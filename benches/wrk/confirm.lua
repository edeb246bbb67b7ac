-- Every request confirms one address with its token: args are the tokens file, the first line
-- of this run's share, how many lines it has and the number of wrk threads. Each thread takes
-- every n-th token; one that runs out starts again (counted as "wrapped").
dofile("benches/wrk/report.lua")
local tokens, next_token = {}, 1

function init(args)
  local file, first, count, nthreads = args[1], tonumber(args[2]), tonumber(args[3]), tonumber(args[4])
  local line = 0
  for token in io.lines(file) do
    line = line + 1
    if line >= first and line < first + count and (line - first) % nthreads == tid then
      table.insert(tokens, token)
    end
  end
  wrapped = 0
end

function request()
  if next_token > #tokens then
    next_token = 1
    wrapped = wrapped + 1
  end
  local token = tokens[next_token]
  next_token = next_token + 1
  return wrk.format("POST", "/api/v1/registrations/confirm",
    {["Content-Type"] = "application/json"}, '{"token":"' .. token .. '"}')
end
