package ports

import (
	"context"

	"vigil/domain"
)

// ScoreTraces keeps each event's score trace for the UI's chart. Used by
// app/edge's Tracer; implemented by adapters/bbolt and by tests' twins.
type ScoreTraces interface {
	SaveTrace(ctx context.Context, id domain.EventID, tr domain.ScoreTrace) error
}
