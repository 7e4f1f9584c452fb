// Entry point is filled in by the simulator work; kept buildable meanwhile.
return 0;
