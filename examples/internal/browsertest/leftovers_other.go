//go:build !linux

package browsertest

// killLeftovers does nothing where /proc is not there; chromedp's own
// process handling is all there is.
func killLeftovers(dir string) {}
