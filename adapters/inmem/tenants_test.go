package inmem_test

import (
	"testing"

	"vigil/adapters/inmem"
	"vigil/app/cloud/cloudtest"
)

func TestTenantsContract(t *testing.T) {
	cloudtest.Run(t, func(*testing.T) cloudtest.Store { return &inmem.Tenants{} })
}
