//go:build e2e

package stack_test

import (
	"context"
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"vigil/scripts/devstack/stack"
)

// burstEvents make the edge cut an event every half second of motion: the
// PETS clip then yields several snapshots a second.
const burstEvents = `{"events": {"quiet_gap": "200ms", "cooldown": "0s", "max_length": "500ms"}}`

type edgeStatus struct {
	Outbox   int    `json:"outbox_length"`
	Uploads  bool   `json:"uploads"`
	Uploaded int    `json:"uploaded"`
	LastErr  string `json:"last_upload_error"`
}

type edgeEvent struct {
	ID        string `json:"id"`
	Snapshots []struct {
		Name   string `json:"name"`
		Upload string `json:"upload"`
	} `json:"snapshots"`
}

// TestE2EOffline: with the cloud and S3 down the edge keeps recording and
// queues at least 100 snapshots; once they are back, every snapshot the
// edge ever made is in production exactly once (object and item), none
// lost, none more, nothing quarantined.
func TestE2EOffline(t *testing.T) {
	s := start(t, stack.Config{EdgeSettings: burstEvents})
	ctx := context.Background()
	in := s.Info()
	edge := s.Edge("edge")
	dev := petsDevice(t, s)
	api := login(t, in.EdgeURL, map[string]string{"username": in.EdgeUser, "password": in.EdgePassword})
	status := func() edgeStatus {
		var st edgeStatus
		if err := api.do("GET", "/api/v1/status", nil, &st); err != nil {
			t.Fatal(err)
		}
		return st
	}
	waitFor(t, "the first uploads", time.Minute, func() (bool, error) { return status().Uploaded >= 3, nil })

	if err := s.StopCloud(); err != nil {
		t.Fatal(err)
	}
	s.StopS3()
	down := time.Now()
	waitFor(t, "100 snapshots queued while offline", 3*time.Minute, func() (bool, error) { return status().Outbox >= 100, nil })
	st := status()
	t.Logf("offline for %v: %d snapshots queued (last error: %s)", time.Since(down).Round(time.Second), st.Outbox, st.LastErr)

	if err := s.StartS3(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.StartCloud(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Second) // the edge goes on recording while it catches up
	// Then a camera that sees nothing moving: the set of snapshots is final.
	still := filepath.Join(t.TempDir(), "still.mjpeg")
	stillClip(t, clipFrames(t, filepath.Join(root, stack.PETSClip), 1, 1)[0], still)
	if err := edge.Restart(ctx, "file:"+still); err != nil {
		t.Fatal(err)
	}
	api = login(t, in.EdgeURL, map[string]string{"username": in.EdgeUser, "password": in.EdgePassword})
	waitFor(t, "the outbox drained", 5*time.Minute, func() (bool, error) { return status().Outbox == 0, nil })
	waitFor(t, "the upload bucket emptied by the validator", 3*time.Minute, func() (bool, error) {
		objs, err := objects(ctx, s, in.UploadBucket, "uploads/")
		return len(objs) == 0, err
	})

	// Every snapshot the edge made, from its own API.
	var snaps []string
	before := ""
	for {
		var page struct {
			Events []edgeEvent `json:"events"`
			Next   string      `json:"next"`
		}
		if err := api.do("GET", "/api/v1/events?limit=500&before="+url.QueryEscape(before), nil, &page); err != nil {
			t.Fatal(err)
		}
		for _, ev := range page.Events {
			for _, sn := range ev.Snapshots {
				snaps = append(snaps, sn.Name)
				if sn.Upload != "uploaded" {
					t.Errorf("%s: %s after the outbox drained", sn.Name, sn.Upload)
				}
			}
		}
		if page.Next == "" {
			break
		}
		before = page.Next
	}
	slices.Sort(snaps)
	if n := len(slices.Compact(slices.Clone(snaps))); n != len(snaps) {
		t.Fatalf("the edge lists %d snapshots, %d distinct", len(snaps), n)
	}

	// Production: one clean copy per snapshot, nothing else.
	prod, err := objects(ctx, s, in.ProductionBucket, "images/"+s.Demo.AccountID+"/"+dev+"/")
	if err != nil {
		t.Fatal(err)
	}
	var inProd []string
	for k := range prod {
		inProd = append(inProd, path.Base(k))
	}
	slices.Sort(inProd)
	// The table: one verified item per snapshot.
	recs, err := imageRecords(ctx, s, s.Demo.AccountID)
	if err != nil {
		t.Fatal(err)
	}
	var items []string
	for _, r := range recs {
		if r.DeviceID == dev {
			items = append(items, r.ID+".jpg")
		}
	}
	slices.Sort(items)
	rej, err := rejections(ctx, s, s.Demo.AccountID)
	if err != nil {
		t.Fatal(err)
	}
	quarantined, err := objects(ctx, s, in.UploadBucket, "quarantine/")
	if err != nil {
		t.Fatal(err)
	}
	swept, err := s.Swept()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d snapshots made, %d in production, %d items, %d rejected, %d handled by the validator's sweep", len(snaps), len(inProd), len(items), len(rej), swept)
	if !slices.Equal(snaps, inProd) {
		t.Errorf("production differs from the edge's snapshots: %s", diff(snaps, inProd))
	}
	if !slices.Equal(snaps, items) {
		t.Errorf("the table's items differ from the edge's snapshots: %s", diff(snaps, items))
	}
	if len(rej) != 0 || len(quarantined) != 0 {
		t.Errorf("%d rejections, quarantine %v", len(rej), quarantined)
	}
	if len(snaps) < 100 {
		t.Errorf("only %d snapshots", len(snaps))
	}
}

// diff describes how two sorted lists differ.
func diff(want, got []string) string {
	var missing, extra []string
	for _, w := range want {
		if _, ok := slices.BinarySearch(got, w); !ok {
			missing = append(missing, w)
		}
	}
	for _, g := range got {
		if _, ok := slices.BinarySearch(want, g); !ok {
			extra = append(extra, g)
		}
	}
	return fmt.Sprintf("%d missing %s, %d extra %s (of %d and %d)", len(missing), strings.Join(missing[:min(5, len(missing))], " "),
		len(extra), strings.Join(extra[:min(5, len(extra))], " "), len(want), len(got))
}
