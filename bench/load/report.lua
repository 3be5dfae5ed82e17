-- POST /v1/reports with categories and places spread over Arequipa.
local cats = {"acoso_verbal", "robo", "sobrecarga", "espera_larga", "conduccion_peligrosa", "paradero_inseguro", "inseguridad", "otro"}
math.randomseed(7)
request = function()
  local body = string.format(
    '{"category": "%s", "lat": %.5f, "lon": %.5f, "description": "prueba de carga"}',
    cats[math.random(#cats)], -16.36 - math.random() * 0.08, -71.50 - math.random() * 0.08)
  return wrk.format("POST", "/v1/reports", {["Content-Type"] = "application/json"}, body)
end
dofile("bench/load/summary.lua")
