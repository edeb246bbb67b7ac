-- Every request registers a new address: args are the meeting slug and a label for this run.
dofile("benches/wrk/report.lua")
local counter, slug, label = 0, "", ""

function init(args)
  slug, label = args[1], args[2]
  wrapped = 0
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"full_name":"Participante %d %d","email":"%s-%d-%d@example.org",' ..
    '"organization":{"name":"Centro de Información %d","kind":"information_hub","country":"GT"},' ..
    '"job_title":"Coordinación","country":"GT","language":"es","consent_data_processing":true,' ..
    '"consent_press_listing":true}', tid, counter, label, tid, counter, counter % 50)
  return wrk.format("POST", "/api/v1/meetings/" .. slug .. "/registrations",
    {["Content-Type"] = "application/json"}, body)
end
