package ews

// SetPassword changes the password of Basic and NTLM authentication, for
// the requests sent from now on (after "authentication failed", the user
// types it again). Idle connections are closed: an NTLM connection stays
// authenticated as whoever it was authenticated as.
func (c *Client) SetPassword(p string) {
	c.mu.Lock()
	c.cfg.Password = p
	c.mu.Unlock()
	c.CloseIdleConnections()
}

// password is the current password (SetPassword may change it while
// requests are being sent).
func (c *Client) password() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cfg.Password
}
