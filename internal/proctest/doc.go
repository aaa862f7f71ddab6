// Package proctest runs process trees for tests of what outlives what: a
// server command that forks a child and a grandchild, the grandchild
// leaving the process group and its parent (setsid, then orphaned), each
// writing its pid to a file; and the checks that none of them is left. It
// reads /proc: Linux only.
package proctest
