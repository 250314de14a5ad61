package inmem_test

import (
	"context"
	"errors"
	"testing"
	"time"

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

func TestReadAndDeleteSnapshot(t *testing.T) {
	ctx := context.Background()
	s := inmem.NewEventStore()
	at := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	ev := domain.Event{ID: domain.NewEventID(at, [10]byte{1}), Start: at}
	name := domain.SnapshotName(ev.ID, 1)
	if err := s.AddSnapshot(ctx, &ev, domain.Snapshot{Kind: domain.FirstSnapshot, Name: name}, []byte{0xff, 0xd8, 1, 0xff, 0xd9}); err != nil {
		t.Fatal(err)
	}
	b, err := s.Read(name)
	if err != nil || len(b) != 5 {
		t.Fatalf("Read = %v, %v", b, err)
	}
	b[2] = 99 // the caller's copy
	if again, _ := s.Read(name); again[2] != 1 {
		t.Fatal("Read shares the stored bytes")
	}
	if !s.DeleteSnapshot(name) || s.DeleteSnapshot(name) {
		t.Fatal("DeleteSnapshot: want true once, then false")
	}
	if _, err := s.Read(name); domain.KindOf(err) != domain.NotFound {
		t.Fatalf("Read after the delete: %v, want NotFound", err)
	}
	if got, _ := s.Event(ctx, ev.ID); len(got.Snapshots) != 0 || len(s.Outbox()) != 0 {
		t.Fatalf("after the delete: event %+v, outbox %v", got, s.Outbox())
	}
}

func TestCloudHonoursItsGrantsOnly(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	c := &inmem.Cloud{Lifetime: time.Minute, Now: func() time.Time { return now }}
	name := domain.SnapshotName(domain.NewEventID(now, [10]byte{2}), 1)
	g, err := c.Grant(ctx, domain.Upload{Name: name, Bytes: 3})
	if err != nil || g.Key != inmem.Key(name) || g.Headers["Content-Length"] != "3" {
		t.Fatalf("Grant = %+v, %v", g, err)
	}
	if err := c.Put(ctx, g, []byte("four")); domain.KindOf(err) != domain.Unauthorized {
		t.Fatalf("another length: %v", err)
	}
	forged := g
	forged.URL += "0"
	if err := c.Put(ctx, forged, []byte("abc")); domain.KindOf(err) != domain.Unauthorized {
		t.Fatalf("a grant it did not issue: %v", err)
	}
	if err := c.Put(ctx, g, []byte("abc")); err != nil || string(c.Objects()[g.Key]) != "abc" || c.Puts()[g.Key] != 1 {
		t.Fatalf("Put: %v, objects %v", err, c.Objects())
	}
	now = now.Add(2 * time.Minute)
	if err := c.Put(ctx, g, []byte("abc")); domain.KindOf(err) != domain.Unauthorized {
		t.Fatalf("an expired grant: %v", err)
	}
	if c.Grants() != 1 {
		t.Fatalf("%d grants", c.Grants())
	}
}
