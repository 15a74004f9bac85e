package tests

import "testing"

func relSyscall(t *testing.T) {}
func relDevFull(t *testing.T) {}
func relTmpfs(t *testing.T)   {}
