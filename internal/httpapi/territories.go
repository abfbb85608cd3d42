package httpapi

import "net/http"

func (s *server) territories(w http.ResponseWriter, r *http.Request) (reply, error) {
	return jsonReply(http.StatusOK, map[string]any{"data": s.leads.Territories(principal(r))}), nil
}
