#!/usr/bin/env python
from servicefirst.__main__ import main

if __name__ == "__main__":
    main()
