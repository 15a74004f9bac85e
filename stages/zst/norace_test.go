//go:build !race

package zst

const raceEnabled = false
