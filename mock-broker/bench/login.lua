-- The password step (POST /v1/login) for users picked at random among u000001..uN
-- (a scenario from `mock-broker bench scenario`; PREFIX k for its IB Key users). Usage:
--   wrk -t2 -c8 -d20s -s mock-broker/bench/login.lua http://127.0.0.1:PORT -- N [PREFIX]
-- Every answer should be 200; wrk counts the rest as "Non-2xx or 3xx responses".
local n = 64
local prefix = "u"
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
end

function init(args)
  n = tonumber(args[1]) or 64
  prefix = args[2] or "u"
  math.randomseed(os.time() * 1000 + (seed or 0))
end

request = function()
  local body = string.format('{"username":"%s%06d","password":"Trade2026"}', prefix, math.random(1, n))
  return wrk.format("POST", "/v1/login", { ["Content-Type"] = "application/json" }, body)
end
