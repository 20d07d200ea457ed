//go:build tools

// Package tools only pins the etcd server command that scripts/control-plane.sh builds.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
)
