package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// HealthCmd asks a running `recoup serve` whether it is ready: the container image's
// HEALTHCHECK, which has no curl or shell to do it (docs/deploy.md).
type HealthCmd struct {
	Listen  string        `name:"listen" env:"RECOUP_LISTEN" default:"127.0.0.1:8080" help:"The address recoup serve listens on; an unspecified host (0.0.0.0, ::) is asked on loopback."`
	Timeout time.Duration `name:"timeout" default:"4s" help:"How long to wait for the answer."`
}

// Run succeeds when GET /readyz answers 200: the database answers, every migration is applied
// and Stripe does not refuse the key.
func (c *HealthCmd) Run(ctx context.Context, out io.Writer) error {
	host, port, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return fmt.Errorf("RECOUP_LISTEN %q is not a host:port address: %v", c.Listen, err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	url := "http://" + net.JoinHostPort(host, port) + "/readyz"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("not healthy: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("not ready: %s answered %s: %s", url, resp.Status, body)
	}
	fmt.Fprintln(out, "ready")
	return nil
}
