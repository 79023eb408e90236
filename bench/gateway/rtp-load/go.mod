module convene.local/bench/gateway/rtp-load

go 1.21
