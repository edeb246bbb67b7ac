-- wrk script: every request registers a new address for the demo meeting.
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end

function init(args)
  counter = 0
end

request = function()
  counter = counter + 1
  local body = string.format([[{"full_name":"Participante %d-%d","email":"load-%d-%d-%d@example.org",
"organization":{"name":"Centro de Información %d","kind":"information_hub","country":"GT"},
"job_title":"Coordinación","country":"GT","language":"es","consent_data_processing":true,
"consent_press_listing":true}]], thread_id, counter, thread_id, counter, math.random(1, 1000000000), counter % 50)
  return wrk.format("POST", "/api/v1/meetings/mexico-city-hubs/registrations",
    {["Content-Type"] = "application/json"}, body)
end

done = function(summary, latency, requests)
  io.write(string.format("statuses: %d non-2xx/3xx of %d requests\n",
    summary.errors.status, summary.requests))
end
