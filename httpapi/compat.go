package httpapi

import "net/http"

// compatRoutes registers the tutorial-compatible endpoints enabled in
// Config.Compat.
func (s *Server) compatRoutes(mux *http.ServeMux) {
	for _, name := range s.cfg.Compat {
		switch name {
		}
		_ = name
	}
}
