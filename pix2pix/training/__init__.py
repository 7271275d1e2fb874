"""What only training and evaluation need: the app never imports this package."""
