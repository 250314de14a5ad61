module vigil

go 1.26.0

require (
	github.com/esimov/pigo v1.4.6
	github.com/klauspost/cpuid/v2 v2.4.2
	github.com/warthog618/gpiod v0.8.3
	go.etcd.io/bbolt v1.5.0
)

require (
	github.com/vladimirvivien/go4vl v0.0.5 // indirect
	golang.org/x/sync v0.25.0 // indirect
	golang.org/x/sys v0.45.0 // indirect
)
