module vigil

go 1.26

require (
	github.com/klauspost/cpuid/v2 v2.4.2
	github.com/warthog618/gpiod v0.8.3
)

require (
	github.com/stretchr/testify v1.10.0 // indirect
	golang.org/x/sys v0.41.0 // indirect
)
