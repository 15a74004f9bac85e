//go:build race

package zst

// raceEnabled is true under the race detector, which makes the best
// encoder some 30 times slower: the tests then try fewer levels.
const raceEnabled = true
