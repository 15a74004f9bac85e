package tests

import "testing"

func relDest(t *testing.T)  {}
func relInput(t *testing.T) {}
func relRace(t *testing.T)  {}
