module example.local/ai-gateway-http-load

go 1.26.0
