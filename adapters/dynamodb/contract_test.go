package dynamodb_test

import (
	"testing"

	"vigil/adapters/dynamodb/dynamotest"
	"vigil/app/cloud/cloudtest"
)

// TestTableContract runs the stores' contract against dynalite (one table
// per subtest on one server).
func TestTableContract(t *testing.T) {
	srv := dynamotest.Start(t)
	cloudtest.Run(t, func(t *testing.T) cloudtest.Store { return srv.Table(t) })
}
