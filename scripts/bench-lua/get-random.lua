-- wrk script: GET $PREFIX<id> for a random id of the file in $IDS on every request (no one hot id).
local ids = {}
for line in io.lines(os.getenv("IDS")) do ids[#ids + 1] = line end
local prefix = os.getenv("PREFIX")
local threads = 0
function setup(thread)
    threads = threads + 1
    thread:set("seed", threads)
end
function init(args)
    math.randomseed(seed * 7919)
end
function request()
    return wrk.format("GET", prefix .. ids[math.random(#ids)], {["X-Auth-Token"] = "demo-token"})
end
