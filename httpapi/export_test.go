package httpapi

// Route is a line of the route table, for the tests outside the package.
type Route struct {
	Method, Path string
	// Surface: headless-browser, headless-app, a tutorial surface's name
	// (django-session, drf-session, drf-jwt, simplejwt), jwks,
	// forward-auth, ops or web-app.
	Surface string
	// Access: anyone, authenticated or staff.
	Access string
}

var accessNames = map[access]string{anyone: "anyone", authenticated: "authenticated", staff: "staff"}

func exportRoutes(table []route) []Route {
	out := make([]Route, len(table))
	for i, rt := range table {
		out[i] = Route{Method: rt.method, Path: rt.path, Surface: string(rt.surface), Access: accessNames[rt.access]}
	}
	return out
}

// Routes returns the routes s serves.
func Routes(s *Server) []Route { return exportRoutes(s.table) }

// AllRoutes returns every route the table can hold: every feature and
// tutorial surface on.
func AllRoutes() []Route { return exportRoutes((&Server{}).routeTable(allFeatures)) }

// APIPrefixes are the paths the web app never shadows.
var APIPrefixes = apiPrefixes
