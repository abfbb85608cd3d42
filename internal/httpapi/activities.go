package httpapi

import (
	"net/http"

	"github.com/freshplan/leads/internal/lead"
)

func (s *server) addActivity(w http.ResponseWriter, r *http.Request) (reply, error) {
	id, err := pathID(r)
	if err != nil {
		return reply{}, err
	}
	var in lead.ActivityInput
	if err := decode(w, r, &in); err != nil {
		return reply{}, err
	}
	s.bindClaim(r, activityReply)
	a, err := s.leads.AddActivity(r.Context(), principal(r), id, in)
	if err != nil {
		return reply{}, err
	}
	return activityReply(a), nil
}

func activityReply(v any) reply { return jsonReply(http.StatusCreated, v) }

func (s *server) listActivities(w http.ResponseWriter, r *http.Request) (reply, error) {
	id, err := pathID(r)
	if err != nil {
		return reply{}, err
	}
	p := queryParams(r)
	page, size := p.page()
	if err := p.err(); err != nil {
		return reply{}, err
	}
	list, total, err := s.leads.Activities(r.Context(), principal(r), id, page, size)
	if err != nil {
		return reply{}, err
	}
	return jsonReply(http.StatusOK, newPage(list, page, size, total)), nil
}
