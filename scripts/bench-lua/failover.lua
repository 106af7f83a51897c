-- wrk script: POST a failover to a different protected group on every request (ids from the file in $IDS).
local ids = {}
for line in io.lines(os.getenv("IDS")) do ids[#ids + 1] = line end
local threads = 0
function setup(thread)
    thread:set("offset", threads)
    threads = threads + 1
end
function init(args)
    counter = offset
end
local project = os.getenv("PROJECT")
function request()
    counter = counter + 2
    local id = ids[(counter % #ids) + 1]
    return wrk.format("POST", "/v1/" .. project .. "/server-groups/" .. id .. "/action",
        {["X-Auth-Token"] = "demo-token", ["Content-Type"] = "application/json"}, '{"failover-server-group": {}}')
end
