-- wrk script for the soak: 70% GET group, 15% GET a list page, 13% GET job, 2% POST failover of a group no
-- request has failed over yet (ids from $IDS; each thread takes every other id), so no request should be refused.
local ids = {}
for line in io.lines(os.getenv("IDS")) do ids[#ids + 1] = line end
local project = os.getenv("PROJECT")
local job = os.getenv("JOB")
-- FAILOVER_PERCENT=0 makes a read-only soak (to tell growth caused by writes from the rest).
local failover_percent = tonumber(os.getenv("FAILOVER_PERCENT") or "2")
local threads = 0
function setup(thread)
    thread:set("offset", threads)
    threads = threads + 1
end
function init(args)
    failover_next = offset + 1
    math.randomseed(offset * 7919 + 17)
end
local headers = {["X-Auth-Token"] = "demo-token", ["Content-Type"] = "application/json"}
local base = "/v1/" .. project
function request()
    local roll = math.random(100)
    -- Once this thread's fresh groups are used up (a long run), it reads instead of refusing or failing.
    if roll <= failover_percent and ids[failover_next] ~= nil then
        local id = ids[failover_next]
        failover_next = failover_next + 2
        return wrk.format("POST", base .. "/server-groups/" .. id .. "/action", headers, '{"failover-server-group": {}}')
    elseif roll <= failover_percent + 70 then
        return wrk.format("GET", base .. "/server-groups/" .. ids[math.random(#ids)], headers)
    elseif roll <= failover_percent + 85 then
        return wrk.format("GET", base .. "/server-groups?limit=20&offset=" .. math.random(0, #ids - 20), headers)
    else
        return wrk.format("GET", base .. "/jobs/" .. job, headers)
    end
end
