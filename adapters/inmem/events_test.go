package inmem_test

import (
	"context"
	"errors"
	"testing"

	"vigil/adapters/inmem"
	"vigil/adapters/storetest"
	"vigil/domain"
)

func TestEventStoreContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Subject {
		s := inmem.NewEventStore()
		return storetest.Subject{
			Store: s,
			Event: s.Event,
			File: func(name string) ([]byte, error) {
				if b, ok := s.File(name); ok {
					return b, nil
				}
				return nil, domain.E("inmem: file "+name, domain.NotFound, errors.New("no such file"))
			},
			Outbox: func(context.Context) ([]string, error) { return s.Outbox(), nil },
		}
	})
}
