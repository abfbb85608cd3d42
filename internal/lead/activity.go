package lead

import (
	"time"

	"github.com/google/uuid"
)

// Activity is one entry of a lead's timeline.
type Activity struct {
	ID          uuid.UUID `json:"id"`
	LeadID      uuid.UUID `json:"leadId"`
	Type        string    `json:"type"`
	OccurredAt  time.Time `json:"occurredAt"`
	Description string    `json:"description"`
	Outcome     *string   `json:"outcome"`
	UserID      string    `json:"userId"`
	Meaningful  bool      `json:"meaningful"`
}

func newActivity(leadID uuid.UUID, typ, description, userID string, at time.Time) *Activity {
	return &Activity{ID: uuid.New(), LeadID: leadID, Type: typ, OccurredAt: at, Description: description,
		UserID: userID, Meaningful: IsMeaningful(typ)}
}
