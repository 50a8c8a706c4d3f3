// Package ci tests the scripts under .ci that set up what the test suite needs: that they
// survive what a shared machine throws at them (ports taken, a service that is not the one
// expected) and say what went wrong in words.
package ci
