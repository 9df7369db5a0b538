"""Open311 GeoReport v2: the platform's cases as GeoReport service requests (open311.org).

`model` holds the public shapes, `mapping` turns cases and the catalogue into them (pure),
`params` parses form and query parameters into commands (collecting every problem at once),
`render` writes them as XML or JSON with the specification's element names, `errors` the error list.
"""
