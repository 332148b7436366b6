-- POSTs a body of `bytes` bytes (wrk ... -s post_body.lua -- 16384), for the server's body reads: hello
-- run with HELLO_READ_BODIES=1 reads the whole body of every POST before it answers.
init = function(args)
  local bytes = tonumber(args[1]) or 16384
  wrk.method = "POST"
  wrk.body = string.rep("x", bytes)
  wrk.headers["Content-Type"] = "application/octet-stream"
  req = wrk.format()
end

request = function()
  return req
end
