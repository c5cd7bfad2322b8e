//go:build tools

// Package tools pins FerretDB as a dependency of this module: built as the main module it panics at start-up.
package tools

import _ "github.com/FerretDB/FerretDB/cmd/ferretdb"
